import type { Component } from 'svelte';
import BatchTimeline from '../viz/BatchTimeline.svelte';
import BsrGrid from '../viz/BsrGrid.svelte';
import CdfPlot from '../viz/CdfPlot.svelte';
import ComposableFormats from '../viz/ComposableFormats.svelte';
import Heatmap from '../viz/Heatmap.svelte';
import PlanGantt from '../viz/PlanGantt.svelte';
import PagedKvLab from '../PagedKvLab.svelte';
import RadixLab from '../RadixLab.svelte';
import SchedulerLab from '../SchedulerLab.svelte';
import SpeculationLab from '../SpeculationLab.svelte';
import CodeView from './views/CodeView.svelte';
import TableView from './views/TableView.svelte';
import type { ViewName } from './view-names.ts';

/**
 * The components ```view cells name, each drawn with the props its cell computes. Props are
 * plain values computed by cells at run time, so they cannot be typed here.
 */
export const VIEWS: Record<ViewName, Component<any>> = { Heatmap, Code: CodeView, BsrGrid, Table: TableView, PlanGantt, ComposableFormats, PagedKvLab, RadixLab, SpeculationLab, BatchTimeline, CdfPlot, SchedulerLab };
