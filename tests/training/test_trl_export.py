"""Our ``trl`` export is read by TRL itself with no glue: ``datasets.load_dataset("json")`` and
then TRL's reward and DPO trainers, on a project mixing one-turn and multi-turn prompts."""

import json
import math

import pytest

from labeling.exports.options import ExportFilters, ExportOptions
from labeling.exports.services import export_to_file
from labeling.imports.services import import_file

pytest.importorskip("trl")

QUESTIONS = ["Capital of France?", "Capital of Italy?", "Capital of Spain?", "Capital of Peru?"]


def mixed_rows() -> list[dict]:
    rows = []
    for i, question in enumerate(QUESTIONS):
        if i % 2:  # a follow-up turn: the prompt is a conversation
            prompt = [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello!"},
                      {"role": "user", "content": question}]
            rows.append({"prompt": prompt, "chosen": [{"role": "assistant", "content": f"Answer {i}."}],
                         "rejected": [{"role": "assistant", "content": "No idea"}]})
        else:
            rows.append({"prompt": question, "chosen": f"Answer {i}.", "rejected": "No idea"})
    return rows


@pytest.fixture
def exported(project, tmp_path):
    import_file(project=project, lines=[json.dumps(r) for r in mixed_rows()], format="trl", with_labels=True)
    path = tmp_path / "trl.jsonl"
    export_to_file(project=project, options=ExportOptions("trl"), filters=ExportFilters(), file_type="jsonl", path=path)
    from datasets import load_dataset

    return load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf-cache"))


def test_the_export_is_one_conversational_dataset_trl_recognises(exported):
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    assert len(exported) == len(QUESTIONS)
    assert all(is_conversational(row) for row in exported)  # every row, not only the multi-turn ones
    from training.ml.tiny import build_tiny_tokenizer

    templated = maybe_apply_chat_template(exported[1], build_tiny_tokenizer())
    assert templated["prompt"].endswith("Human: Capital of Italy?\n\nAssistant: ")
    assert templated["chosen"].startswith("Answer 1.")


def test_trl_reward_and_dpo_trainers_take_the_export_as_it_is(exported, tiny_reward_model, tiny_policy_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
    from trl import DPOConfig, DPOTrainer, RewardConfig, RewardTrainer

    common = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": [], "save_strategy": "no",
              "use_cpu": True, "max_length": 256}
    reward = RewardTrainer(
        model=AutoModelForSequenceClassification.from_pretrained(tiny_reward_model),
        args=RewardConfig(output_dir=str(tmp_path / "rm"), **common),
        train_dataset=exported, processing_class=AutoTokenizer.from_pretrained(tiny_reward_model),
    )
    assert len(reward.train_dataset) == len(QUESTIONS)  # every row templated and tokenised, none dropped
    assert math.isfinite(reward.train().training_loss)
    dpo = DPOTrainer(  # its dataset preparation: templating and tokenising every row
        model=AutoModelForCausalLM.from_pretrained(tiny_policy_model),
        args=DPOConfig(output_dir=str(tmp_path / "dpo"), **common),
        train_dataset=exported, processing_class=AutoTokenizer.from_pretrained(tiny_policy_model),
    )
    assert len(dpo.train_dataset) == len(QUESTIONS)
