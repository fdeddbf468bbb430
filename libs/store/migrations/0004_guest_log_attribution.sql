-- Whether a guest.log line is surely the guest's (`guest`) or a qemu-dm log line the tap could
-- not tell from qemu-dm's own messages (`unattributed`). Events without the field are guest
-- lines, and so are the rows written before this column existed (the DEFAULT).
ALTER TABLE guest_logs
    ADD COLUMN IF NOT EXISTS attribution Enum8('guest' = 1, 'unattributed' = 2) DEFAULT 'guest'
    AFTER handshake_id;
