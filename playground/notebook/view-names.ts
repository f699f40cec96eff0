/**
 * The components a ```view cell may name. The names live apart from the components
 * (views.ts) so that the parser, which runs in Node at build time, need not load Svelte.
 */
export const VIEW_NAMES = ['Heatmap', 'Code', 'BsrGrid', 'Table', 'PlanGantt', 'ComposableFormats', 'PagedKvLab', 'RadixLab', 'SpeculationLab', 'BatchTimeline', 'CdfPlot', 'SchedulerLab'] as const;

export type ViewName = (typeof VIEW_NAMES)[number];
