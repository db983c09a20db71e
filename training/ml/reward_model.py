"""A reward model that scores the masked mean of a backbone's last hidden states.

`AutoModelForSequenceClassification` scores one position: BERT-style encoders put their
[CLS] token through a pooler, decoders read the last non-pad token. Sentence-embedding
encoders (all-MiniLM, other sentence-transformers checkpoints) were trained for mean
pooling instead, and their pooler was never trained for it, so `RewardConfig.pooling =
"mean"` builds this model: the backbone (`AutoModel`) plus a linear score over the mean of
the non-pad token states.

On disk it is the backbone's own checkpoint (loadable with `AutoModel.from_pretrained`)
plus `reward_head.safetensors`; training_config.json records the pooling, so scoring a
checkpoint builds the same model (checkpoints.load_reward_model).
"""

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers.modeling_outputs import SequenceClassifierOutput

REWARD_HEAD = "reward_head.safetensors"


def masked_mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T, H) states, (B, T) mask -> (B, H) mean over the positions where mask is 1."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


class MeanPooledRewardModel(torch.nn.Module):
    """backbone -> masked mean of the last hidden states -> linear score; `.logits` is (B, 1)."""

    def __init__(self, backbone):
        super().__init__()
        if getattr(backbone, "pooler", None) is not None:
            # BERT's [CLS] pooler is never read here: drop it so it is neither trained nor
            # saved (and distributed training sees no parameter without a gradient).
            backbone.pooler = None
        self.backbone = backbone
        self.config = backbone.config
        hidden_size = backbone.config.get_text_config().hidden_size
        self.score = torch.nn.Linear(hidden_size, 1)
        torch.nn.init.normal_(self.score.weight, std=0.02)
        torch.nn.init.zeros_(self.score.bias)

    def forward(self, input_ids, attention_mask) -> SequenceClassifierOutput:
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = masked_mean_pool(hidden, attention_mask)  # (B, H)
        return SequenceClassifierOutput(logits=self.score(pooled.to(self.score.weight.dtype)))

    def save_pretrained(self, directory, state_dict=None, safe_serialization=True) -> None:
        """The backbone as a plain checkpoint plus the score head in REWARD_HEAD."""
        state_dict = self.state_dict() if state_dict is None else state_dict
        parts = {"backbone.": {}, "score.": {}}
        for name, tensor in state_dict.items():
            prefix = name.split(".", 1)[0] + "."
            parts[prefix][name.removeprefix(prefix)] = tensor
        self.backbone.save_pretrained(
            directory, state_dict=parts["backbone."], safe_serialization=True
        )
        head = {k: v.detach().cpu().contiguous() for k, v in parts["score."].items()}
        save_file(head, str(Path(directory) / REWARD_HEAD))

    def load_head(self, directory) -> bool:
        """Load a saved score head from `directory` if it has one; True if it did."""
        path = Path(directory) / REWARD_HEAD
        if not path.exists():
            return False
        self.score.load_state_dict(load_file(str(path)))
        return True
