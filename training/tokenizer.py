"""`corpus tokenizer train`: a byte-level BPE trained on a version's text, saved for transformers.

Byte-level, so no text is ever out of vocabulary. The chat template is ChatML with tool calls,
and wraps assistant turns in `{% generation %}` so TRL can train on assistant tokens only.
(transformers renders templates with trim_blocks, so a newline after a block tag is written
as `{{ '\\n' }}`.) `<|im_end|>` ends a turn and is the eos (generation stops there); `<|endoftext|>` separates
documents in continued pretraining.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

DOC_END = "<|endoftext|>"
TURN_START, TURN_END = "<|im_start|>", "<|im_end|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = [DOC_END, TURN_START, TURN_END, PAD]

CHAT_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTools you can call, as JSON schemas:"
    "{% for tool in tools %}{{ '\\n' }}{{ tool | tojson }}{% endfor %}<|im_end|>\n{% endif %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}<|im_start|>assistant\n{% generation %}"
    "{% if message['content'] %}{{ message['content'] }}{% endif %}"
    "{% if message['tool_calls'] is defined and message['tool_calls'] %}"
    "{% for call in message['tool_calls'] %}"
    "{% set fn = call['function'] if call['function'] is defined else call %}"
    "<tool_call>{\"name\": \"{{ fn['name'] }}\", \"arguments\": "
    "{% if fn['arguments'] is string %}{{ fn['arguments'] }}{% else %}{{ fn['arguments'] | tojson }}{% endif %}"
    "}</tool_call>{% endfor %}{% endif %}<|im_end|>{% endgeneration %}{{ '\\n' }}"
    "{% else %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int, out: str | Path, min_frequency: int = 2):
    """Train, wrap as a transformers fast tokenizer with the chat template, save to `out`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=TURN_END, pad_token=PAD,
                                      bos_token=None, unk_token=None, model_max_length=1 << 20)
    wrapped.chat_template = CHAT_TEMPLATE
    Path(out).mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(str(out))
    return wrapped


def chars_per_token(tokenizer, texts: Iterable[str]) -> float:
    chars = tokens = 0
    for text in texts:
        chars += len(text)
        tokens += len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return chars / tokens if tokens else 0.0


def write_card(out: str | Path, card: dict) -> None:
    (Path(out) / "corpusmill_tokenizer.json").write_text(json.dumps(card, indent=2) + "\n")


def build_tokenizer(texts: list[str], vocab_size: int, out: str | Path, data: str):
    """Train, measure characters per token on up to ~200 of the texts, write the card; (tokenizer, ratio)."""
    tok = train_tokenizer(texts, vocab_size, out)
    ratio = chars_per_token(tok, texts[:: max(1, len(texts) // 200)])
    write_card(out, {"data": data, "vocab_size": len(tok), "chars_per_token": round(ratio, 4), "documents": len(texts)})
    return tok, ratio


def doc_separator(tokenizer) -> str | None:
    """The token between documents in cpt and before each scored text, when the tokenizer has it."""
    return DOC_END if DOC_END in tokenizer.get_vocab() else None
