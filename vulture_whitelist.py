"""Names used by frameworks, not by our code: vulture reads this file beside the code
(``make lint``); nothing imports it."""

# ruff: file-ignore[useless-expression, undefined-name]

# Airflow: the plugin manager reads the plugin class; notifiers and operator links are called.
_.AllianceDataQualityPlugin
_.global_operator_extra_links
_.fastapi_apps
_.external_views
_.template_fields
_.render_template_fields
_.jinja_env
_.notify
_.get_link
_.operator
_._hook  # SparkSubmitOperator's cached hook (bench resets it between submits)

# pytest: hooks, module markers and fixtures requested for their side effects.
_.pytest_plugins
_.pytest_report_header
_.pytest_collection_modifyitems
_.pytestmark
_.airflow_db

# Attributes of library objects that take effect when set.
_.prec  # decimal context
_.HASH_THRESHOLD  # great_expectations pandas engine
_.progress_bars  # great_expectations context variables
_.cursor_factory  # psycopg connection
_.autocommit  # psycopg connection

# Dataclass fields written out by dataclasses.asdict (truth.json, BatchResult.to_dict).
_.group_names
_.group_sizes
_.late_events_max_seconds
_.validated_path

# pydantic: the model configuration and validators it calls.
_.model_config
_._consistent

# Servers' handlers, called by aiosmtpd and http.server.
_.handle_DATA
_.do_POST
_.log_message
