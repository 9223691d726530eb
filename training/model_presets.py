"""Small Llama-style causal LMs built from a named preset, for the demo, tests and quick checks.

Any other model is a local directory or a Hub id (`AutoModelForCausalLM.from_pretrained`);
remote code runs only when the user passes `trust_remote_code`.
"""

from __future__ import annotations

from pathlib import Path

from corpus.errors import UserError

# hidden, layers, heads, kv heads, MLP width; parameters with a 2,048-token vocab in brackets
PRESETS = {
    "micro": dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  intermediate_size=128),  # ≈ 0.13 M
    "tiny": dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=384),  # ≈ 0.65 M (≈ 1.4 M with an 8,192 vocab)
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
                  intermediate_size=768),  # ≈ 3.8 M
}


def is_preset(model: str) -> bool:
    return model.removeprefix("preset:") in PRESETS and not Path(model).exists()


def build_model(model: str, tokenizer, max_length: int, seed: int = 0, trust_remote_code: bool = False):
    """A preset name (random init, sized to the tokenizer) or a pretrained path/Hub id."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    if is_preset(model):
        torch.manual_seed(seed)
        config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=max(max_length, 256),
                             tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
                             eos_token_id=tokenizer.eos_token_id, bos_token_id=None,
                             **PRESETS[model.removeprefix("preset:")])
        return AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    try:
        return AutoModelForCausalLM.from_pretrained(model, trust_remote_code=trust_remote_code)
    except OSError as e:
        raise UserError(f"model {model!r} is neither a preset ({', '.join(PRESETS)}) nor a loadable model: "
                        f"{str(e).splitlines()[0]}") from None


def n_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
