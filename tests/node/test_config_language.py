"""The language of the node's pages: ``language`` under ``[node]`` or ``NST_LANGUAGE``,
``en`` when unset, a language tag or a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import Config, ConfigError, load_config, render_config


def test_the_language_is_read_defaulted_and_checked(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(render_config(Config(data_dir=tmp_path)))
    assert load_config(tmp_path, env={}).language == "en"
    assert load_config(tmp_path, env={"NST_LANGUAGE": "fr"}).language == "fr"
    (tmp_path / "config.toml").write_text('[node]\nlanguage = "es-MX"\n')
    assert load_config(tmp_path, env={}).language == "es-MX"
    (tmp_path / "config.toml").write_text('[node]\nlanguage = "<script>"\n')
    with pytest.raises(ConfigError, match=r"node\.language must be a language tag"):
        load_config(tmp_path, env={})
