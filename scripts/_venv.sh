# Sourced by scripts/*: sets $venv and creates it, installing exactly the versions in
# requirements.lock (hash-checked) and then the project itself in editable mode (which
# builds protocol/_speedups.c in place). The environment is made anew whenever the lock,
# pyproject.toml, the C source or the Python version changes, so it never drifts.
#
# PYTHON picks the interpreter (default python3): a command such as python3.13, or a path.
# The default interpreter uses .venv; any other gets .venv-X.Y beside it.
py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null 2>&1 || ! "$py" -c '' >/dev/null 2>&1; then
  # pyenv's shims refuse versions that are installed but not selected: look in each.
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare); do
      candidate="$(pyenv prefix "$version")/bin/$py"
      if [ -x "$candidate" ]; then py=$candidate; break; fi
    done
  fi
fi
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || {
  echo "error: cannot run the Python interpreter '$py' (set PYTHON)" >&2
  exit 1
}
if [ -n "${PYTHON:-}" ]; then venv=.venv-$pyver; else venv=.venv; fi
stamp=$venv/.installed-$( (cat requirements.lock pyproject.toml protocol/_speedups.c; echo "$pyver") \
  | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "== setting up $venv with Python $pyver from requirements.lock (a minute or two)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  # pip's progress and warnings (about this machine's pip configuration, too) go to a log,
  # shown only if the install fails, so that nothing stands in front of what the command
  # prints. setuptools' own notices (ext-modules in pyproject.toml being experimental, the
  # banner about editable installs) are silenced where they are raised.
  if ! {
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
      --no-deps -r requirements.lock &&
    PYTHONWARNINGS="ignore:::setuptools.config.pyprojecttoml,ignore:::setuptools.command.editable_wheel" \
      "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
      --no-build-isolation -e .
  } > "$venv/install.log" 2>&1; then
    cat "$venv/install.log" >&2
    echo "error: installing requirements.lock into $venv failed (log above)" >&2
    exit 1
  fi
  touch "$stamp"
fi
