# Sourced by scripts/*: creates .venv and installs the project with its dev extras when
# missing or when pyproject.toml or the C source changed since the last install (which
# builds protocol/_speedups.c in place).
py=${PYTHON:-python3}
stamp=.venv/.installed-$(cat pyproject.toml protocol/_speedups.c | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev,uvloop]'
  rm -f .venv/.installed-*; touch "$stamp"
fi
