import type { Plan, WorkItem } from '#kernels/index.ts';

/** One item of a plan as a bar: its workgroup row and its predicted span, in pixels. */
export interface GanttBar {
  item: WorkItem;
  row: number;
  x: number;
  width: number;
}

/**
 * Bars of a plan on a shared time axis: `timeMax` cost units span `width` pixels, so two plans
 * drawn with the same `timeMax` compare by length. Items of zero cost get no bar.
 */
export function ganttBars(plan: Plan, timeMax: number, width: number): GanttBar[] {
  const scale = timeMax > 0 ? width / timeMax : 0;
  return plan.items
    .filter((item) => item.end > item.start)
    .map((item) => ({ item, row: item.workgroup, x: item.start * scale, width: (item.end - item.start) * scale }));
}

/** A distinct colour per request: hues a golden angle apart, so neighbouring requests differ. */
export function requestColor(request: number): string {
  return `hsl(${Math.round((request * 137.508) % 360)} 65% 55%)`;
}

/** The hover title of a bar: what the item computes and what it is predicted to cost. */
export function itemTitle(item: WorkItem): string {
  const queries = item.qoEnd - item.qoStart === 1 ? `query ${item.qoStart}` : `queries ${item.qoStart}–${item.qoEnd - 1}`;
  return `request ${item.request}, head ${item.qoHead}, ${queries}, keys ${item.kvStart}–${item.kvEnd - 1}: cost ${item.cost} (${item.start} → ${item.end})`;
}
