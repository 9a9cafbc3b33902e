/**
 * The Spool web console: one page served by the broker at /console, talking to it only through
 * its HTTP API. Pages are chosen by the URL's hash (#/topics/orders), so every view has a link.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, login, onUnauthorized } from './api.js';
import { href, useRoute } from './hooks.js';
import { Group, Groups } from './pages/groups.js';
import { Live } from './pages/live.js';
import { Messages } from './pages/messages.js';
import { Overview } from './pages/overview.js';
import { Queue, Queues } from './pages/queues.js';
import { Streams } from './pages/streams.js';
import { Topic } from './pages/topic.js';
import { Topics } from './pages/topics.js';
import './styles.css';

const NAV: Array<{ part: string; label: string }> = [
  { part: '', label: 'Overview' },
  { part: 'topics', label: 'Topics' },
  { part: 'messages', label: 'Messages' },
  { part: 'live', label: 'Live tail' },
  { part: 'groups', label: 'Groups' },
  { part: 'queues', label: 'Queues' },
  { part: 'streams', label: 'Streams' },
];

type Theme = 'light' | 'dark';
const THEME_KEY = 'spool.theme';

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    () => {
      const next = theme === 'dark' ? 'light' : 'dark';
      localStorage.setItem(THEME_KEY, next);
      setTheme(next);
    },
  ];
}

/** Shown when the broker answers 401: the token is traded for a session cookie (api.ts), then forgotten. */
function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div class="token-prompt" role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          login(value).then(
            () => onDone(),
            (error: Error) => setProblem(error instanceof ApiError && error.status === 401 ? 'This token is not valid (wrong, expired or revoked).' : error.message),
          );
        }}
      >
        <h2 id="token-title">This broker needs credentials</h2>
        <label>
          API token
          <input type="password" autoComplete="current-password" required value={value} onInput={(event) => setValue(event.currentTarget.value)} autoFocus />
        </label>
        {problem ? <p class="error" role="alert">{problem}</p> : null}
        <button type="submit">Log in</button>
      </form>
    </div>
  );
}

function Page() {
  const route = useRoute();
  const [section = '', first, second] = route.parts;
  switch (section) {
    case '':
      return <Overview />;
    case 'topics':
      return first ? <Topic name={first} /> : <Topics />;
    case 'messages':
      return <Messages route={route} />;
    case 'live':
      return <Live route={route} />;
    case 'groups':
      return first ? <Group name={first} /> : <Groups />;
    case 'queues':
      return first && second ? <Queue topic={first} name={second} /> : <Queues />;
    case 'streams':
      return <Streams route={route} />;
    default:
      return <p>No page here. <a href={href([])}>Back to the overview</a>.</p>;
  }
}

function App() {
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const [askToken, setAskToken] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => onUnauthorized(() => setAskToken(true)), []);
  const section = route.parts[0] ?? '';
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href={href([])}>◉ Spool</a>
        <nav aria-label="Pages">
          <ul>
            {NAV.map((item) => (
              <li key={item.part}>
                <a href={href(item.part ? [item.part] : [])} aria-current={section === item.part ? 'page' : undefined}>{item.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="theme" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main id="main" tabIndex={-1} key={generation}>
        <Page />
      </main>
      {askToken ? (
        <TokenPrompt
          onDone={() => {
            setAskToken(false);
            setGeneration((value) => value + 1); // load every page's data again, with the token
          }}
        />
      ) : null}
    </>
  );
}

render(<App />, document.getElementById('app')!);
