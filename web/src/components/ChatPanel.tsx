import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { linkify } from '../linkify';
import type { ChatMessage } from '../protocol';
import { Icon } from './Icons';

const MAX_CHARS = 2000;

/**
 * Message text as DOM nodes: Preact creates text nodes and <a> elements,
 * never HTML from a string, so a message cannot inject markup.
 */
function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((piece, i) =>
        piece.kind === 'link' ? (
          <a key={i} href={piece.href} target="_blank" rel="noopener noreferrer">
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}

function time(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function Message({ m, mine }: { m: ChatMessage; mine: boolean }) {
  return (
    <li class={`msg${mine ? ' mine' : ''}`}>
      <div class="msg-meta">
        <span class="msg-name">{mine ? 'You' : m.name}</span> <time dateTime={new Date(m.at).toISOString()}>{time(m.at)}</time>
      </div>
      <div class="msg-text" data-testid="chat-message">
        <MessageText text={m.text} />
      </div>
    </li>
  );
}

export function ChatPanel({ call, onClose }: { call: Call; onClose: () => void }) {
  const { chat, selfId } = call.store.state.value;
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stick = useRef(true);

  // Opening the panel reads everything; closing it starts counting again.
  useEffect(() => {
    call.setChatOpen(true);
    inputRef.current?.focus({ preventScroll: true });
    return () => call.setChatOpen(false);
  }, [call]);

  // Follow new messages unless the reader scrolled up to read older ones.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chat.length]);

  const send = async (e?: Event) => {
    e?.preventDefault();
    const text = draft.trim();
    if (!text || sending) return;
    setSending(true);
    const ok = await call.sendChat(text);
    setSending(false);
    if (ok) {
      setDraft('');
      stick.current = true;
    }
    inputRef.current?.focus();
  };

  return (
    <aside class="panel" aria-label="Chat">
      <header class="panel-head">
        <h2>Chat</h2>
        <button type="button" class="icon-btn" aria-label="Close chat" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <ol
        class="chat-list"
        ref={listRef}
        aria-live="polite"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {chat.length === 0 && <li class="empty">No messages yet. Say hello!</li>}
        {chat.map((m) => (
          <Message key={m.id} m={m} mine={m.from === selfId} />
        ))}
      </ol>
      {call.chatError.value && (
        <p class="form-error chat-error" role="alert">
          {call.chatError.value}
        </p>
      )}
      <form class="chat-form" onSubmit={send}>
        <label class="sr-only" for="chat-input">
          Message
        </label>
        <textarea
          id="chat-input"
          ref={inputRef}
          class="input chat-input"
          data-testid="chat-input"
          rows={1}
          maxLength={MAX_CHARS}
          placeholder="Message everyone"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter sends; Shift+Enter makes a new line.
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void send(e);
          }}
        />
        <button type="submit" class="icon-btn send" data-testid="chat-send" aria-label="Send" disabled={sending}>
          <Icon name="send" />
        </button>
      </form>
    </aside>
  );
}
