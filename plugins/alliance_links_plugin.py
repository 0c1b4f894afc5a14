"""Airflow plugin: the data-quality page and the "Data quality report" link (see
alliance_pipeline.links). Loaded by the api-server from the plugins folder."""

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from alliance_pipeline.links import APP_PREFIX, VIEW_ROUTE, DataQualityLink, LazyApp


class AllianceDataQualityPlugin(AirflowPlugin):
    name = "alliance_data_quality"
    global_operator_extra_links: ClassVar[list] = [DataQualityLink()]
    fastapi_apps: ClassVar[list] = [
        {"app": LazyApp(), "url_prefix": APP_PREFIX, "name": "alliance data quality"}
    ]
    external_views: ClassVar[list] = [
        {
            "name": "Data quality",
            "href": APP_PREFIX.lstrip("/") + "/",
            "url_route": VIEW_ROUTE,
            "destination": "nav",
            "category": "browse",
        }
    ]
