-- dffix in Neovim: the language server for Dockerfiles (diagnostics, quick fixes with
-- `vim.lsp.buf.code_action()`, fix-all) and format-on-save through the server.
--
-- Put this file in ~/.config/nvim/lua/ and add `require('dffix')` to init.lua, or
-- copy it into init.lua. Neovim 0.8 and later use `vim.lsp.start`; 0.7 (Debian 12's)
-- uses `vim.lsp.start_client` and `vim.lsp.buf_attach_client`. Set `vim.g.dffix_cmd`
-- to run another dffix (default: `dffix server` from PATH) and `vim.g.dffix_settings`
-- for its settings, e.g. `{ unsafeFixes = false, ignore = { 'DF301' } }`.

local M = {}

local function root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local folder = vim.fn.fnamemodify(name, ':p:h')
  local marker = vim.fn.findfile('.dffix.toml', folder .. ';')
  if marker == '' then
    marker = vim.fn.findfile('pyproject.toml', folder .. ';')
  end
  if marker ~= '' then
    return vim.fn.fnamemodify(marker, ':p:h')
  end
  return folder
end

local function config(bufnr)
  return {
    name = 'dffix',
    cmd = vim.g.dffix_cmd or { 'dffix', 'server' },
    root_dir = root_dir(bufnr),
    init_options = vim.g.dffix_settings or {},
  }
end

local client_id = nil

function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.lsp.start then -- Neovim 0.8+: finds or starts the client for this root
    vim.lsp.start(config(bufnr), { bufnr = bufnr })
    return
  end
  -- Neovim 0.7: one client for the session, attached to each Dockerfile buffer.
  if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
    client_id = vim.lsp.start_client(config(bufnr))
  end
  if client_id then
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
end

-- Format with the server before writing. The server answers no edit for a text that
-- does not parse, so a broken buffer is saved as it is, never replaced by an error.
function M.format(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.lsp.buf.format then -- Neovim 0.8+
    vim.lsp.buf.format({ bufnr = bufnr, name = 'dffix', timeout_ms = 3000 })
  else
    vim.lsp.buf.formatting_sync(nil, 3000)
  end
end

local group = vim.api.nvim_create_augroup('dffix', { clear = true })
vim.api.nvim_create_autocmd('FileType', {
  group = group,
  pattern = 'dockerfile',
  callback = function(args) M.start(args.buf) end,
})
vim.api.nvim_create_autocmd('BufWritePre', {
  group = group,
  callback = function(args)
    if vim.bo[args.buf].filetype == 'dockerfile' then
      M.format(args.buf)
    end
  end,
})

return M
