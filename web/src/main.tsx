import { render } from 'preact';
import { App } from './components/App';
import './hook';
import './styles.css';

render(<App />, document.getElementById('app')!);
