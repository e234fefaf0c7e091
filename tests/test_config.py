from pathlib import Path

import pytest

from longtail.config import ConfigError, Settings, load_settings


def test_defaults_are_valid_and_use_a_per_user_data_dir():
    s = load_settings(env={})
    assert s.store == "demo" and s.chroma_mode == "persistent"
    assert "longtail" in str(s.data_dir)
    assert s.catalog_db == s.data_dir / "stores" / "demo" / "catalog.sqlite"


def test_layers_file_then_env_then_overrides(tmp_path):
    cfg = tmp_path / "longtail.toml"
    cfg.write_text('[longtail]\nlambda = 0.5\nreranker = "xquad"\nport = 9000\n')
    s = load_settings(cfg, env={"LONGTAIL_PORT": "9100", "LONGTAIL_LAMBDA": "0.7"}, reranker="none")
    assert s.lambda_ == 0.7  # env beats file
    assert s.port == 9100 and isinstance(s.port, int)
    assert s.reranker == "none"  # explicit override beats everything


@pytest.mark.parametrize("bad, message", [
    ({"reranker": "magic"}, "reranker"),
    ({"lambda_": -1.0}, "lambda_"),
    ({"tail_share": 1.5}, "between 0 and 1"),
    ({"store": "a b"}, "store"),
    ({"admin_user": "agent"}, "admin_password"),
    ({"head_share": 0.7, "tail_share_of_interactions": 0.5}, "must not exceed"),
])
def test_invalid_values_are_rejected_with_a_reason(bad, message):
    with pytest.raises(ConfigError, match=message):
        Settings(**bad)


def test_unknown_setting_and_bad_type_say_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match="Unknown setting 'lambada'"):
        load_settings(env={}, lambada=1)
    with pytest.raises(ConfigError, match="not a valid int"):
        load_settings(env={"LONGTAIL_PORT": "eighty"})
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, env={})


def test_data_dir_from_env_is_a_path():
    s = load_settings(env={"LONGTAIL_DATA_DIR": "~/somewhere"})
    assert isinstance(s.data_dir, Path) and "~" not in str(s.data_dir)
