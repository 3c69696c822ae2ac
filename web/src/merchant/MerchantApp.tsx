export function MerchantApp() {
  return <div>merchant</div>;
}
