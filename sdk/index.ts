export * from './client.ts';
export * from './signing.ts';
