"""The AWS Lambda build: its unzipped size (Lambda's limit is 250 MB) and its cold import
time, beside the same for the full server install.

    python -m benchmarks.lambda_build [--target build/lambda]

Builds ``mnemora[lambda]`` as ``make lambda-build`` does (manylinux x86_64 wheels for
CPython 3.11 into one folder), checks that neither fastembed nor onnxruntime is in it, then
times, in fresh interpreters that see only that folder and the standard library: importing
the three handler modules, and that plus building the API's app (settings from the
environment, embeddings from Bedrock, no I/O until the first request).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_IMPORT = (
    "import time; t = time.perf_counter();"
    "import mnemora_server.aws_lambda.api, mnemora_server.aws_lambda.authorizer,"
    " mnemora_server.aws_lambda.maintenance;"
    "print(time.perf_counter() - t)"
)
_APP = (
    "import time; t = time.perf_counter();"
    "import mnemora_server.aws_lambda.api as api; api._handler();"
    "print(time.perf_counter() - t)"
)
_ENV = {
    "MNEMORA_ACCOUNTS_URL": "dynamodb://mnemora?region=us-east-1",
    "MNEMORA_STATE_URL": "dynamodb://mnemora?region=us-east-1",
    "MNEMORA_EPISODES_URL": "dynamodb://mnemora?region=us-east-1",
    "MNEMORA_COLD_URL": "s3://mnemora-cold/episodes?region=us-east-1",
    "MNEMORA_VECTOR_URL": "postgresql://mnemora_app:x@db.invalid/mnemora",
    "MNEMORA_PROCEDURES_URL": "postgresql://mnemora_app:x@db.invalid/mnemora",
    "MNEMORA_CHECKPOINTS_URL": "postgresql://mnemora_app:x@db.invalid/mnemora",
    "MNEMORA_ITEMS_URL": "postgresql://mnemora_app:x@db.invalid/mnemora",
    "MNEMORA_EMBEDDER": "bedrock",
    "MNEMORA_EMBEDDING_DIMENSION": "1024",
    "MNEMORA_ACCESS_LOG": "false",
    "MNEMORA_DATA_DIR": "/tmp/mnemora-lambda-bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
}


def build(target: Path) -> None:
    """``mnemora[lambda]`` for Lambda's python3.11 x86_64 runtime, into ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    wheels = target.parent / "lambda-wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    wheel = next(wheels.glob("mnemora-*.whl"))
    subprocess.run(
        [
            *pip,
            "install",
            "--target",
            str(target),
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            "3.11",
            "--only-binary=:all:",
            f"{wheel}[lambda]",
        ],
        check=True,
    )


def size_mb(folder: Path) -> float:
    """Bytes of every file under ``folder``, in MB (what Lambda counts, unzipped)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def timed(code: str, path: Path, runs: int) -> float:
    """Median seconds ``code`` reports in fresh interpreters that see ``path`` and the
    standard library only (``-S``: no site-packages)."""
    base_python = Path(sysconfig.get_config_var("BINDIR")) / "python3"
    python = str(base_python if base_python.exists() else sys.executable)
    env = {**_ENV, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(path)}
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [python, "-S", "-c", code], env=env, check=True, capture_output=True, text=True
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=ROOT / "build" / "lambda")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    build(args.target)
    shipped = {p.name.split("-")[0].lower() for p in args.target.glob("*.dist-info")}
    for absent in ("fastembed", "onnxruntime", "tokenizers", "huggingface_hub"):
        assert absent not in shipped, f"{absent} must not be in the Lambda build"
    print(f"Lambda build: {size_mb(args.target):.1f} MB unzipped ({len(shipped)} distributions)")
    largest = sorted(
        ((size_mb(p), p.name) for p in args.target.iterdir() if p.is_dir()), reverse=True
    )[:6]
    print("largest:", ", ".join(f"{name} {mb:.1f} MB" for mb, name in largest))
    imports = timed(_IMPORT, args.target, args.runs)
    app = timed(_APP, args.target, args.runs)
    print(f"cold import of the three handlers: median {imports * 1000:.0f} ms of {args.runs}")
    print(f"cold import + the API's app built: median {app * 1000:.0f} ms of {args.runs}")


if __name__ == "__main__":
    main()
