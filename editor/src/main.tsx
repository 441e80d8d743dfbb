import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/base.css';
import './app/styles.css';
import { QueryClientProvider } from '@tanstack/react-query';
import { App } from './app/App.tsx';
import { makeQueryClient } from './api/queries.ts';

const queryClient = makeQueryClient();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
