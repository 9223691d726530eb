"""corpusmill's spine: document readers, the versioned store, the pipeline runner and the CLI."""

__version__ = "0.1.0"

from corpus.config import PipelineConfig, load_config, parse_config  # noqa: E402
from corpus.errors import UserError  # noqa: E402
from corpus.runner import RunResult, run_pipeline  # noqa: E402
from corpus.store import Store, VersionRef  # noqa: E402

__all__ = ["PipelineConfig", "RunResult", "Store", "UserError", "VersionRef", "load_config", "parse_config",
           "run_pipeline"]
