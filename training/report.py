"""The training report: confusion matrix, learning curves, TEST mistakes, and a summary."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model.spec import CLASSES, NUM_CLASSES  # noqa: E402


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(N,) true and (N,) predicted digits -> (10, 10) int counts, rows = true."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def recall(labels: np.ndarray, predicted: np.ndarray) -> list[float]:
    """(N,) true and (N,) predicted digits -> each digit's share of its own read right."""
    matrix = confusion(labels, predicted)
    return (matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)).tolist()


def wilson_interval(right: int, total: int) -> tuple[float, float]:
    """The 95% (Wilson score) interval of an accuracy measured as `right` of `total`: how far
    the true accuracy may lie from what a test set of this size reads."""
    from scipy.stats import binomtest

    interval = binomtest(right, total).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def write_report(folder: Path, histories: list[dict], labels: np.ndarray, probabilities: np.ndarray,
                 images: np.ndarray, summary: dict) -> None:
    """Write confusion.png, curves.png, mistakes.png and report.md into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    predicted = probabilities.argmax(axis=1)
    matrix = confusion(labels, predicted)
    _plot_confusion(matrix, folder / "confusion.png")
    _plot_curves(histories, folder / "curves.png")
    wrong = np.flatnonzero(predicted != labels)
    _plot_mistakes(images[wrong], labels[wrong], probabilities[wrong], folder / "mistakes.png")

    rows = "\n".join(f"| {key} | {value} |" for key, value in summary.items()
                     if not key.endswith("test_recall"))
    header = "| true \\ predicted | " + " | ".join(CLASSES) + " |"
    table = "\n".join(f"| **{CLASSES[i]}** | " + " | ".join(str(n) for n in row) + " |"
                      for i, row in enumerate(matrix))
    (folder / "report.md").write_text(
        f"# Training report\n\n| | |\n|---|---|\n{rows}\n\n"
        f"{_recall_table(summary)}## Confusion matrix (TEST)\n\n"
        f"{header}\n|{'---|' * (NUM_CLASSES + 1)}\n{table}\n\n"
        f"![confusion](confusion.png)\n\n## Learning curves\n\n![curves](curves.png)\n\n"
        f"## TEST mistakes ({len(wrong)})\n\n![mistakes](mistakes.png)\n")


def _recall_table(summary: dict) -> str:
    """Each digit's TEST recall, beside the replaced model's when the summary has it."""
    if "test_recall" not in summary:
        return ""
    columns = [("this model", summary["test_recall"])]
    if "replaced_model_test_recall" in summary:
        columns.append(("the model it replaced", summary["replaced_model_test_recall"]))
    head = "| digit | " + " | ".join(name for name, _ in columns) + " |"
    lines = [f"| {digit} | " + " | ".join(f"{values[i]:.1%}" for _, values in columns) + " |"
             for i, digit in enumerate(CLASSES)]
    return (f"## TEST recall by digit\n\n{head}\n|{'---|' * (len(columns) + 1)}\n"
            + "\n".join(lines) + "\n\n")


def _plot_confusion(matrix: np.ndarray, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, n, ha="center", va="center", fontsize=8,
                color="white" if n > matrix.max() / 2 else "black")
    ax.set(xticks=range(NUM_CLASSES), yticks=range(NUM_CLASSES), xlabel="predicted",
           ylabel="true", title="TEST confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_curves(histories: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for k, history in enumerate(histories):
            for prefix, style in (("", "-"), ("val_", "--")):
                if prefix + metric in history:
                    ax.plot(history[prefix + metric], style, color=f"C{k}",
                            label=f"net {k + 1} {'validation' if prefix else 'train'}")
        ax.set(xlabel="epoch", title=f"{metric} (train with augmentation)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_mistakes(images, labels, probabilities, path: Path, most: int = 40) -> None:
    count = max(1, min(len(images), most))
    cols = min(10, count)
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < min(len(images), most):
            ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
            guess = probabilities[k].argmax()
            ax.set_title(f"{labels[k]}→{guess} {probabilities[k, guess]:.0%}", fontsize=8)
    fig.suptitle("TEST mistakes: true→predicted (confidence)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
