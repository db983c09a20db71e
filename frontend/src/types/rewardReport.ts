// A reward checkpoint's report: GET /api/checkpoints/{id}/report/ (training/report_api.py).

import type { Checkpoint, RunStatus } from "./training";

/** Accuracy of a set of pairs with its 95% Wilson interval; accuracy null for no pairs. */
export interface AccuracySummary {
  accuracy: number | null;
  interval: [number, number];
  count: number;
}

/** One bin of the reliability diagram: stated confidence σ(|margin|) against accuracy. */
export interface CalibrationBin {
  low: number;
  high: number;
  count: number;
  confidence: number;
  accuracy: number;
}

export interface RewardReport {
  /** The pairs scored: "validation" (the run's split) or the file evaluate_reward --save read. */
  split: string;
  overall: AccuracySummary;
  mean_margin: number | null;
  calibration: { ece: number; bins: CalibrationBin[] };
  length_bias: {
    margin_length_correlation: number | null;
    longer_chosen: AccuracySummary;
    shorter_chosen: AccuracySummary;
    prefers_longer: number | null;
  };
  /** Accuracy per group value, by grouping: criterion, source, subset, label_source. */
  groups: Record<string, Record<string, AccuracySummary>>;
  rewardbench_sections?: Record<string, { score: number; subsets: string[] }>;
}

export interface CheckpointReport {
  checkpoint: Checkpoint;
  /** Null: not a reward model, or no report yet. */
  report: RewardReport | null;
  /** The annotator id its judge labels as: its entry in the project stats' judges. */
  judge_annotator: number | null;
  judge_run: number | null;
  judge_run_status: RunStatus | null;
}
