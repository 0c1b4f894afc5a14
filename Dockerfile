# syntax=docker/dockerfile:1
# One image for every service of docker-compose.yml: the Airflow components, airflow-init and the
# Spark standalone master and workers (spark-class from the pyspark package, on Java 17).
# Build: docker compose build   (or: docker build -t alliance-airflow .)
FROM apache/airflow:3.3.2-python3.11

# Java 17 for Spark (PySpark 4 needs 17+). Debian names the JVM folder by architecture,
# as BuildKit's TARGETARCH does (amd64, arm64).
ARG TARGETARCH
USER root
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data/lake \
    && chown -R airflow:0 /data \
    && chmod -R g+rw /data
USER airflow

# ALLIANCE_HOME is the project root (config/, jobs/, migrations/, expectations/, see settings.py);
# the image keeps the project where Airflow looks for dags/ and plugins/; the package is src/.
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-${TARGETARCH} \
    SPARK_HOME=/home/airflow/.local/lib/python3.11/site-packages/pyspark \
    PYSPARK_PYTHON=python \
    ALLIANCE_HOME=/opt/airflow \
    ALLIANCE_LAKE_ROOT=/data/lake \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
ENV PATH="${SPARK_HOME}/bin:${PATH}"

WORKDIR /opt/airflow

# Dependencies first, from pyproject.toml and constraints.txt alone (the lock the venv and CI
# install from), so that a code change does not reinstall them; the editable install then maps
# alliance_pipeline to src/.
# auth/ holds the simple auth manager's generated passwords file (a named volume in compose),
# group-writable like the rest of AIRFLOW_HOME so that any AIRFLOW_UID (group 0) can write it.
COPY --chown=airflow:0 pyproject.toml /opt/airflow/pyproject.toml
COPY --chown=airflow:0 constraints.txt /opt/airflow/constraints.txt
RUN mkdir -p src/alliance_pipeline \
    && mkdir -p -m 775 auth \
    && touch src/alliance_pipeline/__init__.py \
    && pip install --no-cache-dir -c /opt/airflow/constraints.txt -e /opt/airflow \
    && pip install --no-cache-dir --no-deps --force-reinstall -c /opt/airflow/constraints.txt pyspark \
    && test -x "${SPARK_HOME}/bin/spark-class" \
    && test -x "${JAVA_HOME}/bin/java"

COPY --chown=airflow:0 src/ /opt/airflow/src/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 jobs/ /opt/airflow/jobs/
COPY --chown=airflow:0 expectations/ /opt/airflow/expectations/
COPY --chown=airflow:0 config/ /opt/airflow/config/
COPY --chown=airflow:0 migrations/ /opt/airflow/migrations/
# The installed package must be the copy under /opt/airflow/src (the one compose mounts).
RUN python -c "import pathlib, alliance_pipeline as p; \
assert pathlib.Path(p.__file__).resolve().parents[2] == pathlib.Path('/opt/airflow'), p.__file__"
