-- A branch's Bundesland (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH): its
-- state's public holidays are never offered and a wish on one is refused with the holiday's name.
-- '' = the nationwide holidays only. `transfer_number` (E.164, NULL = none) is where the agent
-- hands a caller to a person during the branch's opening hours. Callback requests are looked up by their call (a retry of
-- request-callback, the per-call cap) instead of reading every open request of the company.
-- Keep migrations/sqlite/0011_branch_region.sql in step.
ALTER TABLE branches ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE branches ADD COLUMN transfer_number TEXT;
CREATE INDEX callback_requests_call_idx ON callback_requests (company_id, call_id);
