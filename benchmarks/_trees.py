"""Commits exported as source trees, for the scripts that compare two commits.

``git archive`` writes a commit's tracked files into a folder, so nothing is
added to the repository and uncommitted changes are not part of the tree.
"""

import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def git(*args):
    """The stripped standard output of ``git ARGS`` in the repository."""
    return subprocess.run(
        ["git", *args], cwd=REPOSITORY, check=True, capture_output=True, text=True
    ).stdout.strip()


def export(revision, folder):
    """The tree of ``revision`` in ``folder``; returns its full commit id."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=REPOSITORY, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return commit
