"""lm-evaluation-harness tasks on a run's model, from local task files only (optional extra).

`corpus eval RUN --lm-eval TASK[,TASK] --lm-eval-tasks DIR`: DIR holds lm-eval task YAML files
whose data are local files (`dataset_path: json` or `parquet` with `dataset_kwargs.data_files`);
nothing is fetched (HF_HUB_OFFLINE and HF_DATASETS_OFFLINE are set). Each task's metrics are
recorded in the run's eval.json as `data: lm-eval:<task>`.
"""

from __future__ import annotations

import os
from pathlib import Path

from corpus.errors import UserError


def run_tasks(model_dir: Path, tasks: list[str], tasks_dir: Path, limit: int | None = None,
              batch_size: int = 8) -> list[dict]:
    """Scores per task: {"data": "lm-eval:<task>", "split": <split>, "metrics": {...}, "score": first metric}."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        from lm_eval import simple_evaluate
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise UserError('lm-eval tasks need the lm-eval extra: pip install -e ".[lmeval]"') from None
    if not Path(tasks_dir).is_dir():
        raise UserError(f"lm-eval task folder not found: {tasks_dir}")
    import torch

    manager = TaskManager(include_path=str(tasks_dir), include_defaults=False)
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        raise UserError(f"lm-eval task {unknown[0]!r} not found in {tasks_dir} "
                        f"(found: {', '.join(sorted(manager.all_tasks)) or 'none'})")
    results = simple_evaluate(model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=tasks,
                              task_manager=manager, batch_size=batch_size, limit=limit,
                              device="cuda" if torch.cuda.is_available() else "cpu")
    out = []
    for task in tasks:
        metrics = {k.split(",")[0]: float(v) for k, v in results["results"][task].items()
                   if isinstance(v, (int, float)) and not k.startswith(("alias", "sample_len")) and "stderr" not in k}
        first = next(iter(metrics.values()), None)
        out.append({"data": f"lm-eval:{task}", "split": "test", "metrics": metrics, "score": first,
                    "docs": int(results.get("n-samples", {}).get(task, {}).get("effective", 0)) or None})
    return out
