/** Small pieces every page uses: error notes, stat cards, a confirmation dialog, a form field. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const code = (error as { code?: string }).code;
  return (
    <p class="error" role="alert">
      {code ? <strong>{code}</strong> : null} {error.message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" aria-busy="true">Loading {what}…</p>;
}

export function Card({ label, value, detail }: { label: string; value: ComponentChildren; detail?: ComponentChildren }) {
  return (
    <div class="card">
      <div class="card-label">{label}</div>
      <div class="card-value">{value}</div>
      {detail ? <div class="card-detail">{detail}</div> : null}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      <div class="actions">{children}</div>
    </header>
  );
}

/** A status line read out by screen readers when it changes. */
export function Status({ message }: { message: string | null }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {message ?? ''}
    </p>
  );
}

/**
 * Asks before something that cannot be undone; the user types `confirmText` (the topic's name) to
 * enable the button, as GitHub does for deleting a repository.
 */
export function ConfirmDialog(props: { title: string; body: ComponentChildren; confirmText: string; action: string; onConfirm: () => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed === props.confirmText) props.onConfirm();
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <div>{props.body}</div>
        <label>
          Type <code>{props.confirmText}</code> to confirm
          <input value={typed} onInput={(event) => setTyped(event.currentTarget.value)} autoFocus />
        </label>
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={typed !== props.confirmText}>
            {props.action}
          </button>
        </div>
      </form>
    </dialog>
  );
}
