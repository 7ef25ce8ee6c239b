"""Every error a user can cause, under one base class.

A :class:`ClipCourseError` is the user's to fix (a bad name, a missing file, an invalid
parameter): its message names the input and the fix. The CLI prints it as one line and exits
2; a notebook shows it without a traceback into the library. Each subclass also derives from
the built-in exception it replaced (``ValueError`` or ``RuntimeError``), so callers that
caught those keep working.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError", "ChromiumNotFoundError", "ClipCourseError", "CorruptionError", "DatasetError", "DownloadError",
    "ImageInputError", "ModelLoadError", "NotebookError", "NotebookFailedError", "OutputPathError", "ParamsError",
    "PdfPrintError", "PretrainError", "ProbeError", "ProfileError", "PromptError", "ReportError", "RetrievalError",
    "ShapesWorldError", "StyleCLIPError", "SystemDependencyError", "TextInputError", "TextTooLongError", "UsageError",
]


class ClipCourseError(Exception):
    """Base class of the package's user errors: the message says what is wrong and the fix."""


class ProfileError(ClipCourseError, ValueError):
    """An unknown profile, or ``paper`` asked for without its assets on disk."""


class NotebookError(ClipCourseError, ValueError):
    """A notebook parameter is invalid; the message names it and the fix."""


class OutputPathError(ClipCourseError, ValueError):
    """An output path cannot take a file (a folder, device, FIFO, socket); nothing was written."""


class UsageError(ClipCourseError, ValueError):
    """A command-line flag has an unusable value; the message names the flag and the fix."""


class ModelLoadError(ClipCourseError, RuntimeError):
    """A model could not be loaded; the message says why and what to do."""


class PromptError(ClipCourseError, ValueError):
    """Bad template set, template or class list."""


class ImageInputError(ClipCourseError, ValueError):
    """Images given to the encoder have the wrong type, dtype or shape."""


class TextInputError(ClipCourseError, ValueError):
    """Texts given to the encoder are not a list of strings."""


class TextTooLongError(TextInputError):
    """A text does not fit the model's context length."""


class ProbeError(ClipCourseError, ValueError):
    """Features, labels or probe settings are unusable; the message names the input and the fix."""


class RetrievalError(ClipCourseError, ValueError):
    """Features or labels of incompatible shapes, or a bad k."""


class AnalysisError(ClipCourseError, ValueError):
    """Inputs to an analysis step are inconsistent; the message says which and how to fix it."""


class CorruptionError(ClipCourseError, ValueError):
    """Unknown corruption, bad severity or images that are not uint8 (N, H, W, 3)."""


class DatasetError(ClipCourseError, ValueError):
    """A dataset is unknown, missing or malformed; the message names it and the fix."""


class ShapesWorldError(ClipCourseError, ValueError):
    """A ShapesWorld request names an unknown shape, colour, dataset or split."""


class DownloadError(ClipCourseError, RuntimeError):
    """A download failed (no network, bad checksum, wrong content); nothing was left behind."""


class PretrainError(ClipCourseError, ValueError):
    """A bad pretraining config, or a shipped checkpoint that fails verification."""


class StyleCLIPError(ClipCourseError, ValueError):
    """A StyleCLIP input is wrong (text, steps, latent, generator); the message says the fix."""


class ReportError(ClipCourseError, ValueError):
    """The report cannot be built as asked; the message says why and what to do."""


class ParamsError(ReportError):
    """A parameters file or --notebooks selection is invalid."""


class NotebookFailedError(ReportError):
    """A notebook raised while running; the message names it, the cell and the error."""


class SystemDependencyError(ClipCourseError, RuntimeError):
    """A system tool the report needs (Chromium, MathJax, a CJK font) is missing; the message
    names each missing package and the command that installs them."""


class ChromiumNotFoundError(SystemDependencyError):
    """No Chromium to print with; the message holds the commands that install one."""


class PdfPrintError(ClipCourseError, RuntimeError):
    """Chromium ran but produced no valid PDF."""
