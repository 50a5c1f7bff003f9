-- Hand-written: member pages are short index range scans (5,000 rows in member_id order);
-- starting a parallel worker for each costs more than it saves (measured: 20 pages of a
-- 100,000-member group take 1,012 ms with parallel plans, 522 ms without; docs/benchmarks.md).
ALTER TABLE "group_members" SET (parallel_workers = 0);
