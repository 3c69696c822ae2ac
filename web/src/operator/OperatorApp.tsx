export function OperatorApp() {
  return <div>operator</div>;
}
