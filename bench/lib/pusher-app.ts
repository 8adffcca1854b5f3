// The one Pusher app of the Pusher scenarios: ody's config, the floor peer and wsgen's signatures all use these.
export const PUSHER_APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret' } as const;
