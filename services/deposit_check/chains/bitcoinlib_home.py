"""Where bitcoinlib keeps its files, chosen before bitcoinlib is first imported.

At import, bitcoinlib creates the directory named by the environment variable `BCL_DATA_DIR`
(default `~/.bitcoinlib`), reads its `config.ini` (log file, database URIs), writes its logs there
and copies its network definitions into it. A directory at a guessable path under the system temp
folder could be made ahead of us by another local user, with a `config.ini` of theirs in it. So:

- `DEPOSIT_CHECK_STATE_DIR` set (the service's own state directory, e.g. systemd's
  `StateDirectory=`): `<it>/bitcoinlib`, created private (0700); if it exists it must be ours and
  closed to group and others, else the import fails saying why;
- otherwise a fresh directory of `tempfile.mkdtemp` (0700, an unpredictable name), removed at exit;
- `BCL_DATA_DIR` set by the operator: left as given (their choice, their path).

Read from the environment, not from the config file: bitcoinlib is imported (by the chain
adapters) before any config is loaded.
"""

import atexit
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping

STATE_DIR_ENV = "DEPOSIT_CHECK_STATE_DIR"


class UnsafeDataDir(RuntimeError):
    """The bitcoinlib directory under the state directory is not ours alone."""


def private_dir(path: str) -> str:
    """`path`, created 0700 if absent; UnsafeDataDir unless it is a directory of ours, closed to others."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDataDir(f"{path} is not a directory (a link?): bitcoinlib's data directory must be")
    if info.st_uid != os.getuid():
        raise UnsafeDataDir(f"{path} belongs to another user: remove it, or point {STATE_DIR_ENV} elsewhere")
    if info.st_mode & 0o077:
        raise UnsafeDataDir(
            f"{path} is open to group or others (mode {stat.S_IMODE(info.st_mode):o}): make it 0700 or remove it"
        )
    return path


def choose(env: Mapping[str, str]) -> str | None:
    """The data directory to set as BCL_DATA_DIR (made, private), or None when the operator set one."""
    if env.get("BCL_DATA_DIR"):
        return None
    state = env.get(STATE_DIR_ENV)
    if state:
        os.makedirs(state, 0o700, exist_ok=True)
        return private_dir(os.path.join(state, "bitcoinlib"))
    path = tempfile.mkdtemp(prefix="deposit_check_bitcoinlib_")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def set_data_dir() -> None:
    """Set BCL_DATA_DIR for this process (call before the first `import bitcoinlib`)."""
    path = choose(os.environ)
    if path is not None:
        os.environ["BCL_DATA_DIR"] = path
