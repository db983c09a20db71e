import { describe, expect, it } from "vitest";
import type { Checkpoint, ConfigField, StageConfig, TrainingRun } from "../types";
import {
  baseKinds,
  defaultRewardCriterion,
  defaultValues,
  fieldGroups,
  fieldLabel,
  isEdited,
  judgeMode,
  missingChoices,
  type RunChoices,
  runRequest,
  newestBase,
  parseConfig,
  parseField,
  rerunSeed,
  seededValues,
  seedsFor,
  serverFieldError,
  standingErrors,
  switchStage,
  unknownSettings,
} from "./runForm";

const field = (name: string, type: ConfigField["type"], value: ConfigField["default"], extra: Partial<ConfigField> = {}): ConfigField => ({
  name, type, default: value, nullable: false, help: "", constraint: "", ...extra,
});

const learningRate = (value: number) => field("learning_rate", "float", value, { exclusive_minimum: 0, constraint: "> 0" });
const REWARD: ConfigField[] = [
  learningRate(1e-5),
  field("batch_size", "integer", 8, { exclusive_minimum: 0 }),
  field("max_steps", "integer", null, { nullable: true, exclusive_minimum: 0 }),
  field("warmup_ratio", "float", 0, { minimum: 0, exclusive_maximum: 1 }),
  field("mixed_precision", "string", "no", { choices: ["no", "fp16", "bf16"] }),
  field("use_margin", "boolean", false),
];
const DPO: ConfigField[] = [learningRate(1e-6), field("batch_size", "integer", 8), field("beta", "float", 0.1)];

describe("defaults", () => {
  it("fills the inputs with the stage's defaults; null becomes an empty box", () => {
    expect(defaultValues(REWARD)).toEqual({
      learning_rate: "0.00001", batch_size: "8", max_steps: "", warmup_ratio: "0", mixed_precision: "no", use_margin: false,
    });
  });

  it("gives back the defaults as the config when nothing was touched", () => {
    const { config, errors } = parseConfig(REWARD, defaultValues(REWARD));
    expect(errors).toEqual({});
    expect(config).toEqual({
      learning_rate: 1e-5, batch_size: 8, max_steps: null, warmup_ratio: 0, mixed_precision: "no", use_margin: false,
    });
  });
});

describe("reward criterion", () => {
  const checkpoint = (id: number, criteria: string[]) => ({ id, criteria }) as Checkpoint;

  it("defaults to the first criterion of a reward model that judges per criterion, else to none", () => {
    const checkpoints = [checkpoint(1, ["overall", "harmless"]), checkpoint(2, [])];
    expect(defaultRewardCriterion(checkpoints, 1)).toBe("overall");
    expect(defaultRewardCriterion(checkpoints, 2)).toBe("");
    expect(defaultRewardCriterion(checkpoints, null)).toBe("");
  });
});

describe("list fields", () => {
  const criteria = field("criteria", "string_list", []);

  it("reads comma-separated names and shows a list default the same way", () => {
    expect(parseField(criteria, " overall, harmless ,")).toEqual({ value: ["overall", "harmless"] });
    expect(parseField(criteria, "")).toEqual({ value: [] });
    expect(defaultValues([field("criteria", "string_list", ["a", "b"])])).toEqual({ criteria: "a, b" });
  });

  it("refuses a name given twice and is edited only when the names differ", () => {
    expect(parseField(criteria, "harmless, harmless").error).toBe("each name once");
    expect(isEdited(criteria, "")).toBe(false);
    expect(isEdited(criteria, "harmless")).toBe(true);
  });
});

describe("parseField", () => {
  const [lr, batch, maxSteps, warmup, precision] = REWARD;

  it("reads numbers, scientific notation included", () => {
    expect(parseField(lr, "3e-5")).toEqual({ value: 3e-5 });
    expect(parseField(batch, " 16 ")).toEqual({ value: 16 });
  });

  it("says what is wrong, like the server would", () => {
    expect(parseField(lr, "0").error).toBe("must be > 0");
    expect(parseField(lr, "fast").error).toBe("a number");
    for (const typed of ["0x10", "0b1", "0o7", "1_000", "Infinity"]) expect(parseField(lr, typed).error).toBe("a number");
    expect(parseField(lr, "3e-5").value).toBe(3e-5);
    expect(parseField(lr, ".5").value).toBe(0.5);
    expect(parseField(batch, "2.5").error).toBe("a whole number");
    expect(parseField(batch, "").error).toBe("required");
    expect(parseField(warmup, "1").error).toBe("must be < 1");
    expect(parseField(warmup, "-0.1").error).toBe("must be ≥ 0");
    expect(parseField(precision, "fp8").error).toBe("one of no, fp16, bf16");
  });

  it("takes an empty nullable box as null", () => {
    expect(parseField(maxSteps, "")).toEqual({ value: null });
  });
});

describe("switching stage", () => {
  it("takes the new stage's defaults but keeps what the user changed", () => {
    const values = { ...defaultValues(REWARD), batch_size: "4" };
    expect(switchStage(REWARD, values, DPO)).toEqual({ learning_rate: "0.000001", batch_size: "4", beta: "0.1" });
  });

  it("does not carry an untouched learning rate over (stages need very different ones)", () => {
    expect(switchStage(REWARD, defaultValues(REWARD), DPO).learning_rate).toBe("0.000001");
    expect(isEdited(REWARD[0], "0.00001")).toBe(false);
    expect(isEdited(REWARD[0], "1e-5")).toBe(false);
    expect(isEdited(REWARD[0], "2e-5")).toBe(true);
  });
});

describe("server errors", () => {
  it("finds the field a config error names", () => {
    const detail = "config: RewardConfig.max_prompt_length must be below max_length (512), got 600";
    expect(serverFieldError({ detail, code: "invalid", field: "config.max_prompt_length" })).toEqual({
      field: "max_prompt_length", message: "must be below max_length (512), got 600",
    });
    expect(serverFieldError({ detail: "give base_model (a local path or hub id) or base_checkpoint" })).toBeNull();
    expect(serverFieldError({ detail: "base_checkpoint 3 is not one of this project's checkpoints", field: "base_checkpoint" })).toBeNull();
  });

  it("reads the field from `field`, not the message", () => {
    const verifier = "config: verifier 'only' scores responses with their prompts' checks (metadata.verify), and no prompt of this project has one";
    expect(serverFieldError({ detail: verifier, field: "config.verifier" })).toEqual({
      field: "verifier", message: verifier.slice("config: ".length),
    });
    expect(serverFieldError({ detail: "config.criteria[0]: a lone surrogate", field: "config.criteria[0]" })?.field).toBe("criteria");
  });

  it("drops a field's server error once the field is edited", () => {
    const server = { max_steps: "must be > 0 and at most 1000000, got -1", beta: "must be > 0" };
    const sent = { max_steps: "-1", beta: "0", batch_size: "8" };
    expect(standingErrors(server, sent, { ...sent, batch_size: "4" })).toEqual(server);
    expect(standingErrors(server, sent, { ...sent, max_steps: "10" })).toEqual({ beta: "must be > 0" });
  });
});

describe("seeding the next run from a checkpoint", () => {
  const stage = (name: StageConfig["stage"], base_kinds: StageConfig["base_kinds"], needs = false): StageConfig => ({
    stage: name, label: name.toUpperCase(), description: "", snapshot_format: null, base_kinds,
    needs_reward_checkpoint: needs, produces: "policy", fields: [],
  });
  const STAGES = [
    stage("reward", ["reward", "policy"]), stage("sft", ["policy"]), stage("dpo", ["policy"]),
    stage("kto", ["policy"]), stage("ppo", ["policy"], true), stage("grpo", ["policy"], true),
    stage("rloo", ["policy"], true), stage("generate", ["policy"]),
  ];
  const checkpoint = (kind: Checkpoint["kind"]): Checkpoint => ({
    id: 7, project: 1, run: 3, name: "c", kind, path: "p", metrics: {}, criteria: [], created_at: "",
  });

  it("offers online RL against a reward model first (PPO, GRPO, RLOO), then retraining from it", () => {
    const seeds = seedsFor(checkpoint("reward"), STAGES);
    expect(seeds.map((s) => [s.stage, s.base_checkpoint, s.reward_checkpoint])).toEqual([
      ["ppo", null, 7],
      ["grpo", null, 7],
      ["rloo", null, 7],
      ["reward", 7, null],
    ]);
    expect(seeds.map((s) => s.label)).toEqual([
      "PPO with this reward model", "GRPO with this reward model", "RLOO with this reward model", "Retrain from it",
    ]);
  });

  it("offers generating responses first for a policy", () => {
    const seeds = seedsFor(checkpoint("policy"), STAGES);
    expect(seeds[0]).toEqual({ stage: "generate", base_checkpoint: 7, reward_checkpoint: null, label: "Generate responses" });
    expect(seeds.map((s) => s.stage)).toEqual(["generate", "dpo", "kto", "ppo", "grpo", "rloo", "sft", "reward"]);
    expect(seeds.find((s) => s.stage === "grpo")).toEqual({ stage: "grpo", base_checkpoint: 7, reward_checkpoint: null, label: "GRPO from it" });
    expect(seeds.find((s) => s.stage === "kto")?.label).toBe("KTO from it");
  });

  it("offers judging the comparisons with either kind, once the server lists the judge stage", () => {
    const withJudge = [...STAGES, stage("judge", ["reward", "policy"])];
    for (const kind of ["reward", "policy"] as const) {
      expect(seedsFor(checkpoint(kind), withJudge).at(-1)).toEqual({
        stage: "judge", base_checkpoint: 7, reward_checkpoint: null, label: "Judge the comparisons",
      });
    }
  });

  it("offers best-of-N from a policy, once the server lists the stage; the form then asks for the reward model", () => {
    const withBestOfN = [...STAGES, stage("best_of_n", ["policy"], true)];
    expect(seedsFor(checkpoint("policy"), withBestOfN).at(-1)).toEqual({
      stage: "best_of_n", base_checkpoint: 7, reward_checkpoint: null, label: "Best-of-N samples into a snapshot",
    });
    expect(seedsFor(checkpoint("reward"), withBestOfN).map((s) => s.stage)).not.toContain("best_of_n");
  });
});

describe("the base a new run starts from", () => {
  const made = (id: number, kind: Checkpoint["kind"], created_at: string): Checkpoint => ({
    id, project: 1, run: null, name: `c${id}`, kind, path: "p", metrics: {}, criteria: [], created_at,
  });
  const checkpoints = [
    made(1, "policy", "2026-12-01T10:00:00Z"),
    made(2, "reward", "2026-12-03T10:00:00Z"),
    made(3, "policy", "2026-12-02T10:00:00Z"),
    made(4, "policy", "2026-12-02T10:00:00Z"),
  ];

  it("is the newest checkpoint of the first kind the stage takes that the project has", () => {
    expect(newestBase(checkpoints, ["policy"])?.id).toBe(4);
    expect(newestBase(checkpoints, ["reward", "policy"])?.id).toBe(2);
    // a reward run: the older reward model, not a newer policy
    const later = [...checkpoints, made(5, "policy", "2026-12-05T10:00:00Z")];
    expect(newestBase(later, ["reward", "policy"])?.id).toBe(2);
    expect(newestBase(later.filter((c) => c.kind === "policy"), ["reward", "policy"])?.id).toBe(5);
  });

  it("is none when the project has no such checkpoint", () => {
    expect(newestBase(checkpoints, ["value"])).toBeNull();
    expect(newestBase([], ["policy"])).toBeNull();
  });
});

describe("the run request", () => {
  const rl: StageConfig = {
    stage: "ppo", label: "PPO", description: "", snapshot_format: null, base_kinds: ["policy"],
    needs_reward_checkpoint: true, produces: "policy", fields: [],
  };
  const choices: RunChoices = {
    stage: "ppo", baseMode: "model", baseModel: " gpt2 ", baseCheckpoint: 4, rewardCheckpoint: null, snapshot: 9, force: false,
  };

  it("sends only what the stage and the base mode take", () => {
    expect(runRequest(1, rl, { ...choices, rewardCheckpoint: 5 }, { beta: 0.1 })).toEqual({
      project: 1, stage: "ppo", base_model: "gpt2", base_checkpoint: null, reward_checkpoint: 5, snapshot: null,
      config: { beta: 0.1 }, force: false,
    });
    const fromCheckpoint = runRequest(1, { ...rl, needs_reward_checkpoint: false, snapshot_format: "trl" }, { ...choices, baseMode: "checkpoint" }, {});
    expect(fromCheckpoint).toMatchObject({ base_model: "", base_checkpoint: 4, reward_checkpoint: null, snapshot: 9 });
  });

  it("says what is missing: a base, a reward model", () => {
    expect(missingChoices(rl, choices)).toEqual({ base: false, reward: true });
    expect(missingChoices(rl, { ...choices, baseModel: "  ", rewardCheckpoint: 2 })).toEqual({ base: true, reward: false });
    expect(missingChoices(rl, { ...choices, baseMode: "checkpoint", baseCheckpoint: null }).base).toBe(true);
  });
});

describe("field layout", () => {
  it("puts the main settings first and reward_criterion in neither group", () => {
    const groups = fieldGroups([...REWARD, field("reward_criterion", "string", "")]);
    expect(groups.main.map((f) => f.name)).toEqual(["learning_rate", "batch_size", "max_steps"]);
    expect(groups.more.map((f) => f.name)).toEqual(["warmup_ratio", "mixed_precision", "use_margin"]);
    expect(fieldLabel("max_new_tokens")).toBe("Max new tokens");
  });
});

describe("the judge's mode", () => {
  const judge = { stage: "judge", base_kinds: ["reward", "policy"] } as StageConfig;
  it("is placed beside the base, not among the settings", () => {
    const groups = fieldGroups([field("mode", "string", "judge", { choices: ["judge", "revise"] }), field("max_new_tokens", "integer", 128)]);
    expect([...groups.main, ...groups.more].map((f) => f.name)).toEqual(["max_new_tokens"]);
  });
  it("leaves a text setting empty where empty is its default (no endpoint: the checkpoint judges)", () => {
    expect(parseField(field("endpoint_model", "string", ""), " ")).toEqual({ value: "" });
    expect(parseField(field("base", "string", "x"), "")).toEqual({ error: "required" });
  });
  it("revises with a policy checkpoint only", () => {
    expect(judgeMode({})).toBe("judge");
    expect(judgeMode({ mode: "revise" })).toBe("revise");
    expect(baseKinds(judge, { mode: "judge" })).toEqual(["reward", "policy"]);
    expect(baseKinds(judge, { mode: "revise" })).toEqual(["policy"]);
    expect(baseKinds({ stage: "sft", base_kinds: ["policy"] } as StageConfig, { mode: "revise" })).toEqual(["policy"]);
  });
});

describe("run again with these settings", () => {
  const GRPO: ConfigField[] = [
    learningRate(1e-6),
    field("num_generations", "integer", 4, { exclusive_minimum: 1 }),
    field("max_steps", "integer", null, { nullable: true }),
    field("reward_criterion", "string", ""),
    field("criteria", "string_list", []),
    field("load_in_4bit", "boolean", false),
  ];
  const failed = (overrides: Partial<TrainingRun>) =>
    ({
      id: 12, project: 1, stage: "grpo", status: "failed", base_model: "/artifacts/ckpt-3", base_checkpoint: 3,
      reward_checkpoint: 5, snapshot: 9, force: true,
      config: { learning_rate: 5.9e-5, num_generations: 8, max_steps: null, reward_criterion: "harmless", criteria: ["overall", "harmless"], load_in_4bit: true, old_knob: 2 },
      ...overrides,
    }) as TrainingRun;

  it("seeds the stage, the checkpoints, the snapshot and the settings of the run", () => {
    const seed = rerunSeed(failed({}));
    expect(seed).toMatchObject({ stage: "grpo", base_checkpoint: 3, reward_checkpoint: 5 });
    // started from a checkpoint: the model path the server filled in is not a second base
    expect(seed.rerun).toMatchObject({ run: 12, status: "failed", base_model: "", snapshot: 9, force: true });
  });

  it("keeps the model path of a run that started from no checkpoint", () => {
    const seed = rerunSeed(failed({ stage: "sft", base_checkpoint: null, reward_checkpoint: null, base_model: "org/tiny", snapshot: null }));
    expect(seed).toMatchObject({ stage: "sft", base_checkpoint: null, reward_checkpoint: null });
    expect(seed.rerun).toMatchObject({ base_model: "org/tiny", snapshot: null });
  });

  it("fills each input with the run's value, and sends back the very config it ran with", () => {
    const config = failed({}).config;
    const values = seededValues(GRPO, config);
    expect(values).toEqual({
      learning_rate: "0.000059", num_generations: "8", max_steps: "", reward_criterion: "harmless",
      criteria: "overall, harmless", load_in_4bit: true,
    });
    const { config: sent, errors } = parseConfig(GRPO, values);
    expect(errors).toEqual({});
    const { old_knob: _, ...kept } = config;
    expect(sent).toEqual(kept);
  });

  it("keeps the defaults of fields the run lacks and names the settings the stage no longer has", () => {
    expect(seededValues(GRPO, { learning_rate: 2e-6 })).toEqual({ ...defaultValues(GRPO), learning_rate: "0.000002" });
    expect(unknownSettings(GRPO, failed({}).config)).toEqual(["old_knob"]);
    expect(unknownSettings(GRPO, {})).toEqual([]);
  });
});
