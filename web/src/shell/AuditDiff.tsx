import { Table, Typography } from 'antd';
import { flatten, useAuditWords } from './auditWords.ts';

/** Fields shown with a change even when they stayed the same: they say which object it was (an order's amount). */
const CONTEXT = new Set(['amount']);
/** Fields that say when a record was made, not what changed: left out of a new or deleted object. */
const BOOKKEEPING = new Set(['createdAt', 'updatedAt', 'lastLoginAt', 'id']);

interface DiffRow {
  path: string;
  before?: string;
  after?: string;
  /** Shown for context: the same before and after. */
  same?: boolean;
}

/**
 * Before and after of an audit row, in words: one line per field with its label, values in yuan,
 * % and local time, secrets shown as "hidden". A change shows only the fields that differ; a new
 * object its fields; a deleted one what it was.
 */
export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const w = useAuditWords();
  const a = flatten(before);
  const b = flatten(after);
  const hasBefore = before !== null && before !== undefined;
  const hasAfter = after !== null && after !== undefined;
  const both = hasBefore && hasAfter;

  const rows: DiffRow[] = [];
  if (both) {
    for (const path of new Set([...a.keys(), ...b.keys()])) {
      const same = JSON.stringify(a.get(path)) === JSON.stringify(b.get(path));
      if (same && !CONTEXT.has(path)) continue;
      rows.push({ path, before: w.value(path, a.get(path)), after: w.value(path, b.get(path)), same });
    }
  } else {
    for (const [path, v] of hasAfter ? b : a) {
      if (BOOKKEEPING.has(path) || v === null || v === undefined || v === '') continue;
      if (Array.isArray(v) && v.length === 0) continue;
      rows.push(hasAfter ? { path, after: w.value(path, v) } : { path, before: w.value(path, v) });
    }
  }

  if (rows.length === 0) {
    return (
      <Typography.Text type="secondary" data-testid="audit-diff">
        {w.words.page.noChanges}
      </Typography.Text>
    );
  }
  const text = (v: string | undefined, removed = false) =>
    v === undefined ? null : (
      <Typography.Text
        delete={removed}
        type={removed ? 'secondary' : undefined}
        style={{ whiteSpace: 'pre-wrap' }}
      >
        {v}
      </Typography.Text>
    );
  return (
    <div data-testid="audit-diff">
      <Table<DiffRow>
        size="small"
        pagination={false}
        rowKey="path"
        dataSource={rows}
        columns={[
          {
            title: w.words.diff.field,
            dataIndex: 'path',
            width: 200,
            render: (path: string) => w.field(path),
          },
          ...(both || hasBefore
            ? [
                {
                  title: w.words.diff.before,
                  dataIndex: 'before',
                  render: (v: string | undefined, row: DiffRow) => text(v, both && !row.same),
                },
              ]
            : []),
          ...(hasAfter
            ? [
                {
                  title: both ? w.words.diff.after : w.words.diff.value,
                  dataIndex: 'after',
                  render: (v: string | undefined) => text(v),
                },
              ]
            : []),
        ]}
      />
    </div>
  );
}
