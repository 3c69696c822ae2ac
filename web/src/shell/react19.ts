import { unstableSetRender } from 'antd';
import { createRoot, type Root } from 'react-dom/client';

// antd 5 renders its pop-ups (wave effect, static message/modal) with the legacy ReactDOM.render,
// which React 19 removed; this hands it createRoot instead (antd's documented React 19 bridge).
const roots = new WeakMap<Element | DocumentFragment, Root>();

unstableSetRender((node, container) => {
  let root = roots.get(container);
  if (!root) {
    root = createRoot(container);
    roots.set(container, root);
  }
  root.render(node);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    root.unmount();
    roots.delete(container);
  };
});
