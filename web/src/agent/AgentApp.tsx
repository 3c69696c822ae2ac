export function AgentApp() {
  return <div>agent</div>;
}
