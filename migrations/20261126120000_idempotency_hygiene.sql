-- Idempotency-Key is now for signed-in callers only, and answers that carry a credential are
-- never stored. Rows written before held guest and session tokens in clear: remove them.
DELETE FROM idempotency_keys
 WHERE scope = 'anonymous'
    OR response LIKE '%"token"%'
    OR response LIKE '%"admissionToken"%';

-- The periodic sweep deletes by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
