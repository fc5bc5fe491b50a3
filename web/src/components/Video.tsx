import { useEffect, useRef } from 'preact/hooks';

interface Props {
  stream: MediaStream | null;
  muted?: boolean;
  mirror?: boolean;
  contain?: boolean;
  testid?: string;
  /** Called with the element each time a new stream starts on it. */
  onStream?: (video: HTMLVideoElement) => void;
}

/** A <video> bound to a MediaStream (srcObject cannot be set as an attribute). */
export function Video({ stream, muted = false, mirror = false, contain = false, testid, onStream }: Props) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== stream) v.srcObject = stream;
    if (stream) {
      // Autoplay with sound is allowed: the user clicked Join. A rejected
      // play() (e.g. the element was removed meanwhile) is harmless.
      v.play().catch(() => {});
      onStream?.(v);
    }
  }, [stream]);
  useEffect(
    () => () => {
      if (ref.current) ref.current.srcObject = null;
    },
    [],
  );
  const cls = ['video', mirror ? 'mirror' : '', contain ? 'contain' : ''].filter(Boolean).join(' ');
  return <video ref={ref} class={cls} data-testid={testid} autoplay playsInline muted={muted} />;
}
