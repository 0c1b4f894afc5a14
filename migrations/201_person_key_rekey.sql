-- De-identification (issue 4): the old -> new person_key mapping of a key rotation, loaded by
-- alliance_pipeline.privacy.rekey.rekey_warehouse and applied to every table with a person_key.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.person_key_rekey (
    old_person_key TEXT NOT NULL,
    new_person_key TEXT NOT NULL,
    new_key_version TEXT NOT NULL
);

COMMENT ON TABLE ops.person_key_rekey IS 'Pseudonym key rotation: old person_key -> new person_key (no personal data: both are keyed pseudonyms). Replaced by each rotation.';
COMMENT ON COLUMN ops.person_key_rekey.old_person_key IS 'person_key under the previous key version.';
COMMENT ON COLUMN ops.person_key_rekey.new_person_key IS 'person_key under the new key version.';
COMMENT ON COLUMN ops.person_key_rekey.new_key_version IS 'Version of the new key.';
