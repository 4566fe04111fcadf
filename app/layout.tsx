import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from './_components/trpc';
import './globals.css';

export const metadata: Metadata = {
  title: 'Tessera',
  description: 'A web workstation for 3D and medical instance segmentation',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/studies" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Tessera
          </Link>
          <nav className="topnav">
            <Link href="/studies">Studies</Link>
            <Link href="/upload">Upload</Link>
            <Link href="/models">Models</Link>
          </nav>
        </header>
        <Providers>
          <main className="main">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
