-- The money-out half (settlement, withdrawals, payouts) has its own permissions. The built-in
-- finance role gets all of them, operations may read; custom roles are left to their owners.
UPDATE console_role SET permissions = permissions || '{finance.read,finance.review,finance.operate,finance.configure}'::text[]
  WHERE code = 'finance' AND NOT 'finance.read' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'finance.read')
  WHERE code = 'operations' AND NOT 'finance.read' = ANY(permissions);
