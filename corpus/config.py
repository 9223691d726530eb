"""The pipeline config of DESIGN.md: safe-loaded YAML, validated into dataclasses.

Every error names the key or value that is wrong, with the path to it in the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from corpus.errors import UserError

INPUT_FORMATS = ("jsonl", "parquet", "warc", "text", "html")
EXECUTOR_TYPES = ("local", "ray", "slurm")
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass
class InputConfig:
    paths: list[str]
    format: str = "jsonl"
    text_field: str = "text"
    id_field: str | None = None
    url_field: str = "url"


@dataclass
class ExecutorConfig:
    type: str = "local"
    workers: int = 2
    address: str | None = None  # ray: an existing cluster ("auto" or host:port); none starts a local one


@dataclass
class StepConfig:
    name: str
    params: Any  # the step class's Params dataclass, filled with defaults


@dataclass
class PipelineConfig:
    dataset: str
    input: InputConfig
    steps: list[StepConfig] = field(default_factory=list)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    base_dir: Path = Path(".")  # relative input paths resolve against the config file's folder

    def resolved(self) -> dict:
        """The config with all defaults filled in, as plain data (what the manifest records)."""
        return {
            "dataset": self.dataset,
            "input": dataclasses.asdict(self.input),
            "steps": [{s.name: dataclasses.asdict(s.params)} for s in self.steps],
            "executor": dataclasses.asdict(self.executor),
        }

    def config_hash(self) -> str:
        """Hash of what decides the output: everything but the executor (workers do not change data)."""
        resolved = self.resolved()
        del resolved["executor"]
        blob = orjson.dumps(resolved, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(blob).hexdigest()[:16]


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_value(value, tp, where: str):
    """Check one value against a simple annotation (str, int, float, bool, list[X], X | None)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _check_value(value, a, where)
            except UserError as e:
                errors.append(e)
        raise errors[0]
    if origin is list:
        if isinstance(value, str) or not isinstance(value, list):
            raise UserError(f"{where}: expected a list, got {value!r}")
        return [_check_value(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(f"{where}: expected a mapping, got {value!r}")
        return value
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise UserError(f"{where}: expected {_type_name(tp)}, got {value!r}")
        return value
    raise TypeError(f"unsupported annotation {tp} at {where}")


def build_dataclass(cls, data, where: str):
    """Fill dataclass `cls` from a mapping, rejecting unknown keys and wrong types by name."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # init=False fields are set by code
    unknown = sorted(set(data) - set(fields))
    if unknown:
        expected = ", ".join(fields) or "no keys"
        raise UserError(f"{where}: unknown key '{unknown[0]}' (expected one of: {expected})")
    values = {}
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                raise UserError(f"{where}: missing required key '{name}'")
            continue
        values[name] = _check_value(data[name], hints[name], f"{where}.{name}")
    obj = cls(**values)
    check = getattr(obj, "validate", None)
    if check:
        check(where)
    return obj


def _parse_steps(raw, where: str, base_dir: Path = Path(".")) -> list[StepConfig]:
    from corpus.step_registry import step_class

    if raw is None:
        return []
    if not isinstance(raw, list):
        raise UserError(f"{where}: expected a list of steps, got {raw!r}")
    steps = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            raise UserError(f"{here}: each step is one mapping like `- language: {{keep: [en]}}`, got {item!r}")
        (name, params), = item.items()
        cls = step_class(name, here)
        params = build_dataclass(cls.Params, params, f"{here}.{name}")
        if hasattr(params, "resolve_paths"):  # model files are named relative to the pipeline file
            params.resolve_paths(base_dir, f"{here}.{name}")
        steps.append(StepConfig(name, params))
    names = [s.name for s in steps]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise UserError(f"{where}: step '{dup}' appears twice; each step may appear once")
    return steps


def parse_config(data, base_dir: Path = Path("."), source: str = "pipeline") -> PipelineConfig:
    """Validate a loaded YAML mapping into a PipelineConfig."""
    if not isinstance(data, dict):
        raise UserError(f"{source}: the file must be a YAML mapping with keys dataset, input, steps, executor")
    allowed = ("dataset", "input", "steps", "executor")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise UserError(f"{source}: unknown key '{unknown[0]}' (expected one of: {', '.join(allowed)})")
    for key in ("dataset", "input"):
        if key not in data:
            raise UserError(f"{source}: missing required key '{key}'")
    dataset = data["dataset"]
    if dataset == "runs":
        raise UserError(f"{source}: dataset: 'runs' is reserved for training runs in the store; pick another name")
    if not isinstance(dataset, str) or not DATASET_NAME.match(dataset):
        raise UserError(
            f"{source}: dataset: {dataset!r} is not a valid name (letters, digits, '_', '.', '-'; no slashes)"
        )
    raw_input = dict(data["input"]) if isinstance(data["input"], dict) else data["input"]
    if isinstance(raw_input, dict) and isinstance(raw_input.get("paths"), str):
        raw_input["paths"] = [raw_input["paths"]]
    inp = build_dataclass(InputConfig, raw_input, f"{source}: input")
    if not inp.paths:
        raise UserError(f"{source}: input.paths: give at least one path or glob")
    if inp.format not in INPUT_FORMATS:
        raise UserError(f"{source}: input.format: {inp.format!r} is not one of {', '.join(INPUT_FORMATS)}")
    executor = build_dataclass(ExecutorConfig, data.get("executor"), f"{source}: executor")
    if executor.type not in EXECUTOR_TYPES:
        raise UserError(f"{source}: executor.type: {executor.type!r} is not one of {', '.join(EXECUTOR_TYPES)}")
    if executor.workers < 1:
        raise UserError(f"{source}: executor.workers: must be at least 1, got {executor.workers}")
    steps = _parse_steps(data.get("steps"), f"{source}: steps", base_dir)
    return PipelineConfig(dataset=dataset, input=inp, steps=steps, executor=executor, base_dir=base_dir)


def load_config(path: str | Path) -> PipelineConfig:
    """Read and validate a pipeline YAML file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"pipeline file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{path}: invalid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file") from None
    return parse_config(data, base_dir=path.resolve().parent, source=str(path))
