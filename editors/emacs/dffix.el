;;; dffix.el --- dffix's language server for Dockerfiles in Emacs, through eglot

;; Needs eglot (built in from Emacs 29; Debian's elpa-eglot for 28) and dockerfile-mode
;; or dockerfile-ts-mode. Load this file from your init file, or copy it there. It
;; starts `dffix server' for Dockerfile buffers and formats through it before each
;; save; the server answers no edit for a file that does not parse, so a broken buffer
;; is saved as it is. Quick fixes and Fix all: M-x eglot-code-actions.

(require 'eglot)

(add-to-list 'eglot-server-programs
             '((dockerfile-mode dockerfile-ts-mode)
               . ("dffix" "server" :initializationOptions (:unsafeFixes :json-false))))

(defun dffix-eglot-setup ()
  "Start dffix's server for this buffer and format through it before saving."
  (eglot-ensure)
  (add-hook 'before-save-hook #'eglot-format-buffer nil t))

(dolist (hook '(dockerfile-mode-hook dockerfile-ts-mode-hook))
  (add-hook hook #'dffix-eglot-setup))

(provide 'dffix)
;;; dffix.el ends here
