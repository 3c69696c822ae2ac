import { App, Popconfirm } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { errorText } from '../shell/errors.ts';
import { RowAction } from '../shell/listTable.tsx';

/**
 * A list row's 删除: asks first, then moves the thing to the recycle bin (`DELETE path`); it stops
 * working at once and can be restored from 回收站. A refusal is said in words from its code.
 */
export function DeleteToBin({ path, name, onDone }: { path: string; name: string; onDone: () => void }) {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  return (
    <Popconfirm
      title={t('recycle.deleteConfirm', { name })}
      okButtonProps={{ danger: true }}
      onConfirm={async () => {
        try {
          await api.del(path);
          message.success(t('recycle.deleted', { name }));
          onDone();
        } catch (e) {
          message.error(errorText(e));
        }
      }}
    >
      <RowAction danger data-testid="delete-to-bin">
        {t('recycle.delete')}
      </RowAction>
    </Popconfirm>
  );
}
