import { render } from 'preact';
import { App } from './app';
import { loadConfig } from './config';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;

loadConfig().then(
  (config) => render(<App config={config} />, root),
  (error: unknown) => {
    root.innerHTML = '';
    const main = document.createElement('main');
    main.className = 'page';
    const heading = document.createElement('h1');
    heading.textContent = 'The dashboard cannot start';
    const reason = document.createElement('p');
    reason.setAttribute('role', 'alert');
    reason.textContent = error instanceof Error ? error.message : String(error);
    main.append(heading, reason);
    root.append(main);
  },
);
