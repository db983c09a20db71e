// The training-run form's state: the stage and its settings, the base to start from, the reward
// model, the snapshot, and sending it. The checks and the request body are logic/runForm's.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, createRun } from "../../../api";
import { newClientKey } from "../../../ids";
import {
  defaultRewardCriterion, defaultValues, type FormSeed, type FormValues, missingChoices, newestBase, parseConfig, runRequest,
  seededValues, serverFieldError, standingErrors, switchStage,
} from "../../../logic/runForm";
import type { Checkpoint, Project, Stage, StageConfig, TrainingRun } from "../../../types";
import { errorText } from "../usePolled";

export type { FormSeed };

export interface RunFormProps {
  project: Project;
  stages: StageConfig[];
  checkpoints: Checkpoint[];
  seed: FormSeed | null;
  onCreated: (run: TrainingRun) => void;
}

export type BaseMode = "checkpoint" | "model";

/** The base to start from. Until the admin chooses one, each stage starts from the project's
 * newest suitable checkpoint. */
function useBase(config: StageConfig | undefined, stage: Stage, checkpoints: Checkpoint[]) {
  const [mode, setMode] = useState<BaseMode>("model");
  const [model, setModel] = useState("");
  const [checkpoint, setCheckpoint] = useState<number | null>(null);
  const [chosen, setChosen] = useState(false);
  useEffect(() => {
    if (chosen || !config) return;
    const newest = newestBase(checkpoints, config.base_kinds);
    setMode(newest ? "checkpoint" : "model");
    setCheckpoint(newest?.id ?? null);
  }, [stage, checkpoints, chosen]);
  const choose = (next: BaseMode, id: number | null = checkpoint) => {
    setChosen(true);
    setMode(next);
    setCheckpoint(id);
  };
  const typeModel = (text: string) => {
    setChosen(true);
    setModel(text);
  };
  return { mode, model, checkpoint, choose, typeModel };
}

/** No answer came back: the run may have started. Sending it again unchanged is safe. */
export const LOST_ANSWER =
  "The server did not answer, so the run may have started. Start again: the same settings open the same run, never a second one.";

/** Sending the form: a settings error the server names goes beside its field, any other above
 * the button. A request sent again unchanged (its answer was lost) carries the same client_key,
 * so the server returns the run the first made instead of starting a second. */
function useSend(onCreated: (run: TrainingRun) => void) {
  const [sending, setSending] = useState(false);
  const lastSent = useRef<{ body: string; key: string } | null>(null);
  const [formError, setFormError] = useState("");
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [sentValues, setSentValues] = useState<FormValues>({});
  const clear = () => {
    setServerErrors({});
    setFormError("");
  };
  const send = async (body: Parameters<typeof createRun>[0], values: FormValues) => {
    setSending(true);
    clear();
    setSentValues(values);
    const text = JSON.stringify(body);
    if (lastSent.current?.body !== text) lastSent.current = { body: text, key: newClientKey() };
    try {
      onCreated(await createRun({ ...body, client_key: lastSent.current.key }));
      lastSent.current = null; // the same settings again are another run
    } catch (error) {
      const field = error instanceof ApiError ? serverFieldError(error.body) : null;
      if (field) setServerErrors({ [field.field]: field.message });
      else if (!(error instanceof ApiError)) setFormError(LOST_ANSWER);
      else setFormError(errorText(error));
    } finally {
      setSending(false);
    }
  };
  return { sending, formError, serverErrors, sentValues, clear, send };
}

/** Apply each new seed (a checkpoint's "start a run from it") once. */
function useSeed(seed: FormSeed | null, apply: (seed: FormSeed) => void) {
  useEffect(() => {
    if (seed) apply(seed);
  }, [seed]);
}

export function useRunForm({ project, stages, checkpoints, seed, onCreated }: RunFormProps) {
  const [stage, setStage] = useState<Stage>(seed?.stage ?? "reward");
  const config = stages.find((s) => s.stage === stage) ?? stages[0];
  const [values, setValues] = useState<FormValues>(() => defaultValues(config?.fields ?? []));
  const base = useBase(config, stage, checkpoints);
  const [rewardCheckpoint, setRewardCheckpoint] = useState<number | null>(null);
  const [snapshot, setSnapshot] = useState<number | null>(null);
  const [force, setForce] = useState(false);
  const sent = useSend(onCreated);
  const chooseStage = (next: Stage) => {
    const nextConfig = stages.find((s) => s.stage === next);
    if (!nextConfig || next === stage) return;
    setValues(switchStage(config.fields, values, nextConfig.fields));
    setStage(next);
    setSnapshot(null);
    sent.clear();
  };
  // A run again: after chooseStage, so its values and snapshot replace the stage's defaults; the
  // reward model without chooseReward, which would reset the criterion the run scored on.
  const applyRerun = (from: FormSeed, rerun: NonNullable<FormSeed["rerun"]>) => {
    const next = stages.find((s) => s.stage === from.stage);
    if (next) setValues(seededValues(next.fields, rerun.config));
    setSnapshot(rerun.snapshot);
    setRewardCheckpoint(from.reward_checkpoint);
    setForce(rerun.force);
    if (from.base_checkpoint === null) base.typeModel(rerun.base_model);
    sent.clear();
  };
  const chooseReward = (id: number | null) => {
    setRewardCheckpoint(id);
    setValues((current) => ({ ...current, reward_criterion: defaultRewardCriterion(checkpoints, id) }));
  };
  useSeed(seed, (from) => {
    chooseStage(from.stage);
    if (from.rerun) applyRerun(from, from.rerun);
    if (from.base_checkpoint !== null) base.choose("checkpoint", from.base_checkpoint);
    else if (from.rerun) base.choose("model", null);
    if (from.reward_checkpoint !== null && !from.rerun) chooseReward(from.reward_checkpoint);
  });
  const choices = {
    stage, baseMode: base.mode, baseModel: base.model, baseCheckpoint: base.checkpoint, rewardCheckpoint, snapshot, force,
  };
  const { config: settings, errors } = config ? parseConfig(config.fields, values) : { config: {}, errors: {} };
  const missing = config ? missingChoices(config, choices) : { base: true, reward: false };
  const blocked = Object.keys(errors).length > 0 || missing.base || missing.reward;
  const submit = (event: Event) => {
    event.preventDefault();
    if (!blocked && config) void sent.send(runRequest(project.id, config, choices, settings), values);
  };
  const state = { config, values, setValues, base, choices, chooseStage, chooseReward, setSnapshot, setForce };
  // a field's server error goes once the field is edited
  const serverErrors = standingErrors(sent.serverErrors, sent.sentValues, values);
  return { ...state, errors, missing, blocked, submit, ...sent, serverErrors };
}

export type RunFormState = ReturnType<typeof useRunForm>;
