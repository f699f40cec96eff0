import { expect } from 'vitest';
import { AttentionInputError, checkAttentionArgs, type AttentionArgs } from '#kernels/index.ts';

/** Asserts that checking `args` throws an AttentionInputError naming `argument`, with a message matching `message`. */
export function expectInputError(args: AttentionArgs, argument: string, message: RegExp): void {
  let caught: unknown;
  try {
    checkAttentionArgs(args);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AttentionInputError);
  expect((caught as AttentionInputError).argument).toBe(argument);
  expect((caught as Error).message).toMatch(message);
}
