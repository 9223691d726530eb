"""quality_reports: see ../shared/DESIGN.md; its steps register in corpus/step_registry.py."""
