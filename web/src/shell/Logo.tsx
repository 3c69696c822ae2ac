/** The Qingyun mark: a cloud over a rising line, in the brand's blue-cyan. */
export function Logo({ size = 32 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 48 48" role="img" aria-label="Qingyun Pay">
      <defs>
        <linearGradient id="qy-logo-bg" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#36cfc9" />
          <stop offset="1" stopColor="#1677ff" />
        </linearGradient>
      </defs>
      <rect x="0" y="0" width="48" height="48" rx="11" fill="url(#qy-logo-bg)" />
      <path
        d="M15 31.5c-3.3 0-6-2.5-6-5.6 0-2.8 2.1-5.1 4.9-5.5.9-4 4.6-6.9 8.9-6.9 3.6 0 6.7 2 8.1 5 .4-.1.9-.1 1.4-.1 3.9 0 6.9 2.9 6.9 6.5s-3 6.6-6.9 6.6H15z"
        fill="#fff"
        opacity="0.95"
      />
      <path
        d="M14 36.5l7-5 5 3 9-7"
        stroke="#fff"
        strokeWidth="2.6"
        fill="none"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
