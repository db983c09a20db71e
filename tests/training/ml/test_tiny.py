from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

from training.ml.checkpoints import load_tokenizer
from training.ml.tiny import build_tiny_causal_lm, build_tiny_reward_model


def test_default_tiny_models_have_one_to_five_million_parameters_and_no_pickles(tmp_path):
    lm = AutoModelForCausalLM.from_pretrained(
        build_tiny_causal_lm(tmp_path / "lm"), use_safetensors=True
    )
    rm = AutoModelForSequenceClassification.from_pretrained(
        build_tiny_reward_model(tmp_path / "rm"), use_safetensors=True
    )
    for model in (lm, rm):
        assert 1_000_000 <= sum(p.numel() for p in model.parameters()) <= 5_000_000
    assert rm.config.num_labels == 1
    assert not list(tmp_path.rglob("*.bin")) and not list(tmp_path.rglob("*.pt"))


def test_saved_tokenizer_reloads_with_pad_bos_eos_and_chat_template(tiny_lm_path):
    tokenizer = load_tokenizer(tiny_lm_path)
    assert (tokenizer.pad_token, tokenizer.bos_token, tokenizer.eos_token) == (
        "<|pad|>",
        "<|bos|>",
        "<|eos|>",
    )
    assert len(tokenizer) == 259
    assert tokenizer.chat_template
