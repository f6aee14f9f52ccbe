# Sourced by scripts/*: creates .venv and installs the project with its dev extras when
# missing or when pyproject.toml changed since the last install.
py=${PYTHON:-python3}
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev,uvloop]'
  rm -f .venv/.installed-*; touch "$stamp"
fi
